import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionTombstones1795635592636 implements MigrationInterface {
  name = 'SessionTombstones1795635592636';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "session_tombstones" ("session_id" uuid NOT NULL, "user_id" uuid NOT NULL, "deleted_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_9fbe0543e7191c570a0a26c55d1" PRIMARY KEY ("session_id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "session_tombstones_user_id_idx" ON "session_tombstones"  ("user_id") ',
    );
    await queryRunner.query(
      'CREATE INDEX "session_tombstones_deleted_at_idx" ON "session_tombstones"  ("deleted_at") ',
    );
    // Hand-written: every deleted session (a user's deletion cascades to them) leaves a tombstone,
    // whatever deleted it, so the revocation set can be rebuilt without it.
    await queryRunner.query(`CREATE FUNCTION record_session_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO session_tombstones (session_id, user_id, deleted_at)
        VALUES (OLD.id, OLD.user_id, now()) ON CONFLICT (session_id) DO NOTHING;
        RETURN OLD;
      END $$`);
    await queryRunner.query(
      'CREATE TRIGGER sessions_record_tombstone AFTER DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION record_session_tombstone()',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER sessions_record_tombstone ON sessions');
    await queryRunner.query('DROP FUNCTION record_session_tombstone()');
    await queryRunner.query('DROP INDEX "public"."session_tombstones_deleted_at_idx"');
    await queryRunner.query('DROP INDEX "public"."session_tombstones_user_id_idx"');
    await queryRunner.query('DROP TABLE "session_tombstones"');
  }
}
