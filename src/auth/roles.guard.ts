import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthenticatedRequest } from '../common/security/authenticated-user.js';
import { ROLES_KEY } from '../users/roles.decorator.js';
import type { UserRole } from '../users/user.entity.js';
import { AuthErrors } from './auth.errors.js';

/** Enforces `@Roles(...)`: the access token must carry one of the listed roles. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required || required.length === 0) return true;
    const user = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (user && required.some((role) => user.roles.includes(role))) return true;
    throw AuthErrors.forbidden();
  }
}
