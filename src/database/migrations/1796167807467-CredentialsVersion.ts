import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CredentialsVersion1796167807467 implements MigrationInterface {
  name = 'CredentialsVersion1796167807467';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Existing users and sessions both start at 1: every existing session stays valid.
    await queryRunner.query(
      'ALTER TABLE "users" ADD "credentials_version" integer NOT NULL DEFAULT \'1\'',
    );
    await queryRunner.query(
      'ALTER TABLE "sessions" ADD "credentials_version" integer NOT NULL DEFAULT \'1\'',
    );
    await queryRunner.query(
      'CREATE INDEX "sessions_created_at_idx" ON "sessions"  ("created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "sessions_expires_at_idx" ON "sessions"  ("expires_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "used_refresh_tokens_rotated_at_idx" ON "used_refresh_tokens"  ("rotated_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."used_refresh_tokens_rotated_at_idx"');
    await queryRunner.query('DROP INDEX "public"."sessions_expires_at_idx"');
    await queryRunner.query('DROP INDEX "public"."sessions_created_at_idx"');
    await queryRunner.query('ALTER TABLE "sessions" DROP COLUMN "credentials_version"');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "credentials_version"');
  }
}
