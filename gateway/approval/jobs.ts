/**
 * Work the handling side owes its approval system, queued durably in the shard's job zset
 * (member → due time) and claimed with a lease, so a crash only delays it. A member names the
 * case and the work: `<caseNo>` submits the application (the original form, kept for queues
 * written by earlier versions), `<caseNo>|supplement|<supplementId>` files supplementary
 * materials, `<caseNo>|result` fetches the decision record.
 */
export type ApprovalJob =
  | { kind: 'submit'; caseNo: string }
  | { kind: 'supplement'; caseNo: string; supplementId: string }
  | { kind: 'result'; caseNo: string };

export function jobMember(job: ApprovalJob): string {
  switch (job.kind) {
    case 'submit':
      return job.caseNo;
    case 'supplement':
      return `${job.caseNo}|supplement|${job.supplementId}`;
    case 'result':
      return `${job.caseNo}|result`;
  }
}

export function parseJobMember(member: string): ApprovalJob | undefined {
  const [caseNo, kind, id, ...rest] = member.split('|');
  if (!caseNo || rest.length > 0) return undefined;
  if (kind === undefined) return { kind: 'submit', caseNo };
  if (kind === 'result' && id === undefined) return { kind: 'result', caseNo };
  if (kind === 'supplement' && id) return { kind: 'supplement', caseNo, supplementId: id };
  return undefined;
}
