import { describe, expect, it } from '@jest/globals';
import { BackgroundTasks, MAX_RUNNING } from './background-tasks.js';

describe('BackgroundTasks', () => {
  it('drops work past MAX_RUNNING tasks at once, and takes work again once they finish', async () => {
    const tasks = new BackgroundTasks();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const work = async () => {
      started += 1;
      await gate;
    };
    const accepted = Array.from({ length: MAX_RUNNING + 3 }, () => tasks.run('test', work));
    expect(accepted.filter(Boolean)).toHaveLength(MAX_RUNNING);
    expect(started).toBe(MAX_RUNNING);

    release();
    await tasks.settled();
    expect(tasks.run('test', work)).toBe(true);
    await tasks.settled();
    expect(started).toBe(MAX_RUNNING + 1);
  });

  it('logs a failed task and keeps going', async () => {
    const tasks = new BackgroundTasks();
    expect(tasks.run('failing', () => Promise.reject(new Error('boom')))).toBe(true);
    await tasks.settled();
    let ran = false;
    tasks.run('next', () => {
      ran = true;
      return Promise.resolve();
    });
    await tasks.settled();
    expect(ran).toBe(true);
  });
});
