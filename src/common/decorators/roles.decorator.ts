import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'roles';

/** The caller needs one of these roles (checked by RolesGuard after authentication). */
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);
