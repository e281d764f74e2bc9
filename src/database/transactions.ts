import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type ObjectLiteral, type Repository } from 'typeorm';

const currentTransaction = new AsyncLocalStorage<EntityManager>();

/**
 * One transaction across repositories of several features (a user's change and the mail and audit
 * rows it causes commit together) without services touching TypeORM: repositories that take part
 * read their manager through `inCurrentTransaction`.
 */
@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in a transaction, or in the caller's when one is already open. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (currentTransaction.getStore()) return work();
    return this.dataSource.transaction((manager) => currentTransaction.run(manager, work));
  }
}

/** True inside `Transactions.run`. */
export const isInTransaction = (): boolean => currentTransaction.getStore() !== undefined;

/** `repository`, bound to the transaction `Transactions.run` opened around the caller, if any. */
export function inCurrentTransaction<T extends ObjectLiteral>(
  repository: Repository<T>,
): Repository<T> {
  const manager = currentTransaction.getStore();
  return manager ? manager.getRepository(repository.target) : repository;
}
