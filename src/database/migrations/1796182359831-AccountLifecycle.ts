import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccountLifecycle1796182359831 implements MigrationInterface {
  name = 'AccountLifecycle1796182359831';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "account_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "purpose" character varying(16) NOT NULL, "token_hash" character varying(64) NOT NULL, "email" character varying(254) NOT NULL, "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "account_tokens_purpose_check" CHECK ("purpose" IN (\'verify_email\', \'reset_password\', \'change_email\')), CONSTRAINT "PK_5e3640c493cc6206a44b885e6a9" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "account_tokens_token_hash_key" ON "account_tokens"  ("token_hash") ',
    );
    await queryRunner.query(
      'CREATE INDEX "account_tokens_expires_at_idx" ON "account_tokens"  ("expires_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "account_tokens_user_id_purpose_idx" ON "account_tokens"  ("user_id", "purpose") ',
    );
    await queryRunner.query(
      'CREATE TABLE "auth_events" ("id" BIGSERIAL NOT NULL, "user_id" uuid NOT NULL, "type" character varying(48) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "actor_id" uuid, "ip" character varying(64), "user_agent" character varying(512), "request_id" character varying(128), "details" jsonb NOT NULL DEFAULT \'{}\', CONSTRAINT "PK_ab929cc6084ffb3fd795bd983c0" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "auth_events_created_at_idx" ON "auth_events"  ("created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "auth_events_user_id_created_at_idx" ON "auth_events"  ("user_id", "created_at", "id") ',
    );
    await queryRunner.query(
      'CREATE TABLE "mail_outbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "recipient" character varying(254) NOT NULL, "template" character varying(64) NOT NULL, "subject" text NOT NULL, "text_body" text NOT NULL, "html_body" text NOT NULL, "status" character varying(16) NOT NULL DEFAULT \'pending\', "attempts" integer NOT NULL DEFAULT \'0\', "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "sent_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "mail_outbox_status_check" CHECK ("status" IN (\'pending\', \'sent\', \'failed\')), CONSTRAINT "PK_fecc63c96385bc35a39ccf2a72e" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "mail_outbox_created_at_idx" ON "mail_outbox"  ("created_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "mail_outbox_due_idx" ON "mail_outbox"  ("next_attempt_at") WHERE "status" = \'pending\'',
    );
    await queryRunner.query(
      'ALTER TABLE "users" ADD "email_verified" boolean NOT NULL DEFAULT false',
    );
    await queryRunner.query(
      'ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "account_tokens" DROP CONSTRAINT "account_tokens_user_id_fkey"',
    );
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "email_verified"');
    await queryRunner.query('DROP INDEX "public"."mail_outbox_due_idx"');
    await queryRunner.query('DROP INDEX "public"."mail_outbox_created_at_idx"');
    await queryRunner.query('DROP TABLE "mail_outbox"');
    await queryRunner.query('DROP INDEX "public"."auth_events_user_id_created_at_idx"');
    await queryRunner.query('DROP INDEX "public"."auth_events_created_at_idx"');
    await queryRunner.query('DROP TABLE "auth_events"');
    await queryRunner.query('DROP INDEX "public"."account_tokens_user_id_purpose_idx"');
    await queryRunner.query('DROP INDEX "public"."account_tokens_expires_at_idx"');
    await queryRunner.query('DROP INDEX "public"."account_tokens_token_hash_key"');
    await queryRunner.query('DROP TABLE "account_tokens"');
  }
}
