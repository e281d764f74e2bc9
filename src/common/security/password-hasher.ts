import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { hash, type Options, verify } from '@node-rs/argon2';
import type { PasswordHashingConfig } from '../../config/app-config.js';
import { PASSWORD_HASHING_CONFIG } from '../../config/config-slices.js';

// `Algorithm.Argon2id`; the package's enum is an ambient const enum, unusable with isolatedModules.
const ARGON2ID = 2;

/** The options @node-rs/argon2 hashes with under these parameters. */
export function argon2OptionsOf(config: PasswordHashingConfig): Options {
  return {
    algorithm: ARGON2ID,
    memoryCost: config.memoryKib,
    timeCost: config.timeCost,
    parallelism: config.parallelism,
  };
}

/**
 * argon2id hashing with the configured parameters (ARGON2_*). @node-rs/argon2 runs each hash on
 * libuv's thread pool, so hashing never blocks the event loop (and it ships prebuilt binaries that
 * need no install script).
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly options: Options;
  private readonly currentPrefix: string;
  private dummyHash: string;

  constructor(@Inject(PASSWORD_HASHING_CONFIG) config: PasswordHashingConfig) {
    this.options = argon2OptionsOf(config);
    this.currentPrefix = `$argon2id$v=19$m=${config.memoryKib},t=${config.timeCost},p=${config.parallelism}$`;
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hash('not a real password: equalizes login timing', this.options);
  }

  hash(password: string): Promise<string> {
    return hash(password, this.options);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** The same work as a real verification, for an account that does not exist. */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  /**
   * True for hashes made with other parameters (stronger or weaker) or another algorithm than
   * today's configuration: the next successful sign-in stores the password under the current ones.
   */
  needsRehash(passwordHash: string): boolean {
    return !passwordHash.startsWith(this.currentPrefix);
  }
}
