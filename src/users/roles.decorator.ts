import { SetMetadata } from '@nestjs/common';
import type { UserRole } from './user.entity.js';

export const ROLES_KEY = 'roles';

/**
 * The caller needs one of these roles (enforced by the auth feature's RolesGuard after
 * authentication). Defined here, beside `UserRole`, because auth depends on users and never the
 * reverse.
 */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES_KEY, roles);
