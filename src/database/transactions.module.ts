import { Module } from '@nestjs/common';
import { Transactions } from './transactions.js';

@Module({ providers: [Transactions], exports: [Transactions] })
export class TransactionsModule {}
