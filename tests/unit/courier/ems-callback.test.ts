import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMS_MAX_PUSH_BYTES, EMS_MAX_SKEW_MS, verifyEmsPush, type EmsCallbackOptions } from '../../../courier/ems/callback.js';
import { mapEmsTraces } from '../../../courier/ems/mapping.js';
import { signEmsPush } from '../../../courier/ems/signature.js';
import { emsS10, expectCourierError } from './helpers.js';

const SECRET = 'ems-partner-secret';
const NOW = Date.parse('2024-05-07T02:30:00Z');
const opts: EmsCallbackOptions = { secret: SECRET, now: () => NOW };

let serial = 50_000_000;

function pushBody(overrides: Record<string, unknown> = {}) {
  return {
    pushId: `EMSP${serial}`,
    waybillNo: emsS10(serial++),
    pushTime: '2024-05-07 10:30:00',
    traces: [
      { opCode: '40', opName: '派送', opDesc: '安排投递，投递员：李四', opTime: '2024-05-07 08:30:00', opOrgCity: '广州市' },
      { opCode: '20', opName: '收寄', opDesc: '已收寄', opTime: '2024-05-06 10:00:00' },
    ],
    ...overrides,
  };
}

/** Headers as EMS sends them: base64 HMAC over "<timestamp>\n<body>", computed independently of the code under test. */
function signed(raw: string | Buffer, timestamp = String(NOW), secret = SECRET) {
  const signature = createHmac('sha256', secret).update(`${timestamp}\n`).update(raw).digest('base64');
  return { 'x-ems-partner-id': 'KC-PARTNER', 'x-ems-timestamp': timestamp, 'x-ems-signature': signature };
}

function request(body: unknown = pushBody()) {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { raw, headers: signed(raw) };
}

describe('EMS push — accepted', () => {
  it('when a push is signed with the partner secret, then it is returned as EMS sent it', () => {
    const body = pushBody();
    const { raw, headers } = request(body);
    expect(verifyEmsPush(raw, headers, opts)).toEqual(body);
  });

  it('when the signature is made by signEmsPush, then it is the same as an independent HMAC (one definition of the signed bytes)', () => {
    const raw = Buffer.from(JSON.stringify(pushBody()));
    expect(signEmsPush(SECRET, String(NOW), raw)).toBe(signed(raw)['x-ems-signature']);
  });

  it('when the headers arrive in another letter case, then they are still found', () => {
    const { raw, headers } = request();
    const upper = { 'X-EMS-Timestamp': headers['x-ems-timestamp'], 'X-EMS-Signature': headers['x-ems-signature'] };
    expect(verifyEmsPush(raw, upper, opts).traces).toHaveLength(2);
  });

  it(`when the push was signed just under ${EMS_MAX_SKEW_MS / 1000} s ago or ahead, then it is fresh enough`, () => {
    for (const ts of [NOW - EMS_MAX_SKEW_MS + 1_000, NOW + EMS_MAX_SKEW_MS - 1_000]) {
      const raw = Buffer.from(JSON.stringify(pushBody()));
      expect(() => verifyEmsPush(raw, signed(raw, String(ts)), opts)).not.toThrow();
    }
  });

  it('when an authentic push holds a trace with an impossible time, then the push is accepted and the mapping skips that trace', () => {
    const body = pushBody({
      traces: [
        { opCode: '50', opName: '妥投', opDesc: '已签收', opTime: '2024-02-30 10:00:00' },
        { opCode: '20', opName: '收寄', opDesc: '已收寄', opTime: '2024-05-06 10:00:00' },
      ],
    });
    const { raw, headers } = request(body);
    const push = verifyEmsPush(raw, headers, opts);
    const mapped = mapEmsTraces(push.waybillNo, push.traces);
    expect(mapped.events.map((e) => e.rawCode)).toEqual(['20']);
    expect(mapped.skipped.map((s) => s.code)).toEqual(['COURIER_EVENT_BAD_TIME']);
  });

  it('when EMS adds fields we do not know, then the push is still accepted', () => {
    const { raw, headers } = request(pushBody({ version: '2', traces: [{ opCode: '20', opName: '收寄', opDesc: '', opTime: '2024-05-06 10:00:00', operatorNo: '123' }] }));
    expect(verifyEmsPush(raw, headers, opts).traces[0]).toEqual({ opCode: '20', opName: '收寄', opDesc: '', opTime: '2024-05-06 10:00:00' });
  });
});

describe('EMS push — refused', () => {
  it('when there is no signature header, then COURIER_CALLBACK_UNSIGNED', async () => {
    const { raw, headers } = request();
    const { 'x-ems-signature': _dropped, ...rest } = headers;
    await expectCourierError(() => verifyEmsPush(raw, rest, opts), 'COURIER_CALLBACK_UNSIGNED');
  });

  it('when there is no timestamp header, then COURIER_CALLBACK_UNSIGNED', async () => {
    const { raw, headers } = request();
    const { 'x-ems-timestamp': _dropped, ...rest } = headers;
    await expectCourierError(() => verifyEmsPush(raw, rest, opts), 'COURIER_CALLBACK_UNSIGNED');
  });

  it('when the signature header is repeated, then COURIER_CALLBACK_UNSIGNED (which one was meant is unknowable)', async () => {
    const { raw, headers } = request();
    const twice = { ...headers, 'x-ems-signature': [headers['x-ems-signature'], headers['x-ems-signature']] };
    await expectCourierError(() => verifyEmsPush(raw, twice, opts), 'COURIER_CALLBACK_UNSIGNED');
  });

  it('when the push is signed with another secret, then COURIER_CALLBACK_BAD_SIGNATURE', async () => {
    const raw = Buffer.from(JSON.stringify(pushBody()));
    await expectCourierError(() => verifyEmsPush(raw, signed(raw, String(NOW), 'someone-else'), opts), 'COURIER_CALLBACK_BAD_SIGNATURE');
  });

  it('when one byte of the body is changed after signing, then COURIER_CALLBACK_BAD_SIGNATURE', async () => {
    const { raw, headers } = request();
    const tampered = Buffer.from(raw);
    tampered[tampered.length - 2]! ^= 0x01;
    await expectCourierError(() => verifyEmsPush(tampered, headers, opts), 'COURIER_CALLBACK_BAD_SIGNATURE');
  });

  it('when the timestamp header is moved after signing (a replay made to look new), then COURIER_CALLBACK_BAD_SIGNATURE', async () => {
    const raw = Buffer.from(JSON.stringify(pushBody()));
    const headers = { ...signed(raw, String(NOW - 3_600_000)), 'x-ems-timestamp': String(NOW) };
    await expectCourierError(() => verifyEmsPush(raw, headers, opts), 'COURIER_CALLBACK_BAD_SIGNATURE');
  });

  it.each([
    ['hex instead of base64', (sig: string) => Buffer.from(sig, 'base64').toString('hex')],
    ['truncated', (sig: string) => sig.slice(0, 20)],
    ['unpadded', (sig: string) => sig.replace(/=$/, '')],
    ['base64url alphabet', (sig: string) => sig.replace(/\+/g, '-').replace(/\//g, '_')],
    ['with a scheme prefix', (sig: string) => `sha256=${sig}`],
  ])('when the signature is %s, then COURIER_CALLBACK_BAD_SIGNATURE', async (_label, mangle) => {
    // A body whose signature has a '+' or '/', so that every mangling changes it.
    let { raw, headers } = request();
    while (!/[+/]/.test(headers['x-ems-signature'])) ({ raw, headers } = request());
    const sig = headers['x-ems-signature'];
    expect(mangle(sig)).not.toBe(sig);
    await expectCourierError(() => verifyEmsPush(raw, { ...headers, 'x-ems-signature': mangle(sig) }, opts), 'COURIER_CALLBACK_BAD_SIGNATURE');
  });

  it('when the timestamp is in seconds, not milliseconds, then COURIER_CALLBACK_BAD_SIGNATURE', async () => {
    const raw = Buffer.from(JSON.stringify(pushBody()));
    const seconds = String(Math.floor(NOW / 1000));
    await expectCourierError(() => verifyEmsPush(raw, signed(raw, seconds), opts), 'COURIER_CALLBACK_BAD_SIGNATURE');
  });

  it(`when the push was signed more than ${EMS_MAX_SKEW_MS / 1000} s ago, then COURIER_CALLBACK_STALE`, async () => {
    const raw = Buffer.from(JSON.stringify(pushBody()));
    await expectCourierError(() => verifyEmsPush(raw, signed(raw, String(NOW - EMS_MAX_SKEW_MS - 1_000)), opts), 'COURIER_CALLBACK_STALE');
  });

  it('when the push claims to be signed far in the future, then COURIER_CALLBACK_STALE', async () => {
    const raw = Buffer.from(JSON.stringify(pushBody()));
    await expectCourierError(() => verifyEmsPush(raw, signed(raw, String(NOW + EMS_MAX_SKEW_MS + 1_000)), opts), 'COURIER_CALLBACK_STALE');
  });

  it('when a stale push is also wrongly signed, then the signature is what is reported (our clock tells strangers nothing)', async () => {
    const raw = Buffer.from(JSON.stringify(pushBody()));
    await expectCourierError(() => verifyEmsPush(raw, signed(raw, String(NOW - 3_600_000), 'someone-else'), opts), 'COURIER_CALLBACK_BAD_SIGNATURE');
  });

  it('when an authentic body is not JSON, then COURIER_CALLBACK_MALFORMED', async () => {
    for (const body of ['{"pushId": "EMSP1", "traces": [', '', 'null', '[['.repeat(50_000)]) {
      const { raw, headers } = request(body);
      await expectCourierError(() => verifyEmsPush(raw, headers, opts), 'COURIER_CALLBACK_MALFORMED');
    }
  });

  it('when an authentic body is JSON of another shape, then COURIER_CALLBACK_MALFORMED without repeating its values', async () => {
    const cases = [
      pushBody({ traces: undefined }),
      pushBody({ traces: 'none' }),
      pushBody({ waybillNo: 42 }),
      pushBody({ traces: [{ opCode: '50', opName: '妥投', opDesc: '已签收，签收人：张三' }] }), // opTime missing
      pushBody({ traces: Array.from({ length: 501 }, () => ({ opCode: '31', opName: '到达', opDesc: '', opTime: '2024-05-06 10:00:00' })) }),
    ];
    for (const body of cases) {
      const { raw, headers } = request(body);
      const err = await expectCourierError(() => verifyEmsPush(raw, headers, opts), 'COURIER_CALLBACK_MALFORMED');
      expect(err.message).not.toContain('张三');
    }
  });

  it(`when the body is larger than ${EMS_MAX_PUSH_BYTES} bytes, then COURIER_CALLBACK_TOO_LARGE before any signature work`, async () => {
    const raw = Buffer.alloc(EMS_MAX_PUSH_BYTES + 1, 0x20);
    await expectCourierError(() => verifyEmsPush(raw, signed(raw), opts), 'COURIER_CALLBACK_TOO_LARGE');
    await expectCourierError(() => verifyEmsPush(raw, {}, opts), 'COURIER_CALLBACK_TOO_LARGE');
  });

  it('when the route handed over a parsed body instead of the raw bytes, then COURIER_CALLBACK_MALFORMED, not a crash', async () => {
    const body = pushBody();
    const headers = signed(Buffer.from(JSON.stringify(body)));
    await expectCourierError(() => verifyEmsPush(body as unknown as Buffer, headers, opts), 'COURIER_CALLBACK_MALFORMED');
    await expectCourierError(() => verifyEmsPush(JSON.stringify(body) as unknown as Buffer, headers, opts), 'COURIER_CALLBACK_MALFORMED');
  });
});
