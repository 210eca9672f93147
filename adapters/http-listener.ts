/**
 * Starts an HTTP server for a simulator and closes it for good: every simulator process (the two
 * approval systems, the EMS tracking API) listens and stops the same way.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

export interface HttpListener {
  server: Server;
  port: number;
  /** `http://host:port` (IPv6 hosts bracketed). */
  url: string;
  /** Stops accepting, drops open connections, resolves once closed. */
  close(): Promise<void>;
}

/** Port 0 picks a free port. */
export async function listenHttp(handler: RequestListener, port = 0, host = '127.0.0.1'): Promise<HttpListener> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    port: bound,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}
