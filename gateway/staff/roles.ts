/**
 * Who may do what at the staff face. A role is a job at the window; a permission is one kind of
 * request. Routes ask for a permission, never for a role, so a new role is one line here.
 */
export const ROLES = ['window', 'handler', 'supervisor'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_ZH: Record<Role, string> = { window: '收件', handler: '办理', supervisor: '监察' };

export const PERMISSIONS = [
  'matters:read',
  'cases:read',
  'cases:create',
  'cases:supplement',
  'cases:rate',
  'cases:handle',
  'handoffs:write',
  'parcels:read',
  'deadletters:resend',
  'supervision:read',
  'diagnostics:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  // 收件: takes applications in, sends and receives the paper, records supplements and ratings.
  window: ['matters:read', 'cases:read', 'cases:create', 'cases:supplement', 'cases:rate', 'handoffs:write', 'parcels:read'],
  // 办理: works the cases this district handles — receipt of materials, clock pauses, results out.
  handler: ['matters:read', 'cases:read', 'handoffs:write', 'cases:handle', 'parcels:read', 'deadletters:resend'],
  // 监察: reads everything, changes nothing about a case; may requeue what the link dropped.
  supervisor: ['matters:read', 'cases:read', 'supervision:read', 'deadletters:resend', 'diagnostics:read'],
};

export function permissionsOf(roles: readonly Role[]): Permission[] {
  const granted = new Set(roles.flatMap((r) => ROLE_PERMISSIONS[r]));
  return PERMISSIONS.filter((p) => granted.has(p));
}
