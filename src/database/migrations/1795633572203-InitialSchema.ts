import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795633572203 implements MigrationInterface {
  name = 'InitialSchema1795633572203';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" character varying(254) NOT NULL, "password_hash" character varying(255) NOT NULL, "display_name" text, "roles" character varying(16) array NOT NULL DEFAULT \'{user}\', "status" character varying(16) NOT NULL DEFAULT \'active\', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT \'1\', CONSTRAINT "users_status_check" CHECK ("status" IN (\'active\', \'disabled\')), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "users_created_at_id_idx" ON "users"  ("created_at", "id") ',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "users_email_key" ON "users"  ("email") ');
    // Hand-written (TypeORM cannot declare these): prefix search on email, role filter.
    await queryRunner.query(
      'CREATE INDEX "users_email_prefix_idx" ON "users" ("email" text_pattern_ops)',
    );
    await queryRunner.query('CREATE INDEX "users_roles_idx" ON "users" USING GIN ("roles")');
    await queryRunner.query(
      'CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "refresh_token_hash" character varying(64) NOT NULL, "rotation_counter" integer NOT NULL DEFAULT \'0\', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_reason" character varying(32), "user_agent" character varying(512), "ip" character varying(64), CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "sessions_refresh_token_hash_key" ON "sessions"  ("refresh_token_hash") ',
    );
    await queryRunner.query(
      'CREATE INDEX "sessions_revoked_at_idx" ON "sessions"  ("revoked_at") WHERE "revoked_at" IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX "sessions_user_id_active_idx" ON "sessions"  ("user_id") WHERE "revoked_at" IS NULL',
    );
    await queryRunner.query(
      'CREATE TABLE "used_refresh_tokens" ("token_hash" character varying(64) NOT NULL, "session_id" uuid NOT NULL, "rotated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "grace_result" bytea, CONSTRAINT "PK_a0fad3682cd62bddd8363e4a4d9" PRIMARY KEY ("token_hash"))',
    );
    await queryRunner.query(
      'CREATE INDEX "used_refresh_tokens_session_id_idx" ON "used_refresh_tokens"  ("session_id") ',
    );
    await queryRunner.query(
      'ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "used_refresh_tokens" ADD CONSTRAINT "used_refresh_tokens_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "used_refresh_tokens" DROP CONSTRAINT "used_refresh_tokens_session_id_fkey"',
    );
    await queryRunner.query('ALTER TABLE "sessions" DROP CONSTRAINT "sessions_user_id_fkey"');
    await queryRunner.query('DROP INDEX "public"."used_refresh_tokens_session_id_idx"');
    await queryRunner.query('DROP TABLE "used_refresh_tokens"');
    await queryRunner.query('DROP INDEX "public"."sessions_user_id_active_idx"');
    await queryRunner.query('DROP INDEX "public"."sessions_revoked_at_idx"');
    await queryRunner.query('DROP INDEX "public"."sessions_refresh_token_hash_key"');
    await queryRunner.query('DROP TABLE "sessions"');
    await queryRunner.query('DROP INDEX "public"."users_roles_idx"');
    await queryRunner.query('DROP INDEX "public"."users_email_prefix_idx"');
    await queryRunner.query('DROP INDEX "public"."users_email_key"');
    await queryRunner.query('DROP INDEX "public"."users_created_at_id_idx"');
    await queryRunner.query('DROP TABLE "users"');
  }
}
