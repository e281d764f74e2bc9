import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, type ObjectLiteral, type Repository } from 'typeorm';

interface OpenTransaction {
  manager: EntityManager;
  afterCommit: Array<() => Promise<void>>;
}

const currentTransaction = new AsyncLocalStorage<OpenTransaction>();

/**
 * One transaction across repositories of several features (a user's change and the mail and audit
 * rows it causes commit together) without services touching TypeORM: repositories that take part
 * read their manager through `inCurrentTransaction`.
 */
@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in a transaction, or in the caller's when one is already open. The outermost call
   * returns after the commit and after the work registered with `afterCommit`.
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (currentTransaction.getStore()) return work();
    const afterCommit: OpenTransaction['afterCommit'] = [];
    const result = await this.dataSource.transaction((manager) =>
      currentTransaction.run({ manager, afterCommit }, work),
    );
    for (const task of afterCommit) await task();
    return result;
  }

  /**
   * Runs `task` once the current transaction commits (never if it rolls back), or now outside
   * one: cache invalidation must not run before the change is visible to other readers.
   */
  async afterCommit(task: () => Promise<void>): Promise<void> {
    const transaction = currentTransaction.getStore();
    if (transaction) transaction.afterCommit.push(task);
    else await task();
  }
}

/** True inside `Transactions.run`. */
export const isInTransaction = (): boolean => currentTransaction.getStore() !== undefined;

/** `repository`, bound to the transaction `Transactions.run` opened around the caller, if any. */
export function inCurrentTransaction<T extends ObjectLiteral>(
  repository: Repository<T>,
): Repository<T> {
  const transaction = currentTransaction.getStore();
  return transaction ? transaction.manager.getRepository(repository.target) : repository;
}
