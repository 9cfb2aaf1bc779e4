import type pg from 'pg';

/** Small project-wide facts (key fingerprint, whether the demo was created). */
export class Settings {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const result = await this.#pool.query<{ value: T }>('select value from dataalm.settings where key = $1', [key]);
    return result.rows[0]?.value;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.#pool.query(
      'insert into dataalm.settings (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value',
      [key, JSON.stringify(value)],
    );
  }

  /** Stores `value` unless the key has one; returns the value now stored. */
  async setIfAbsent<T>(key: string, value: T): Promise<T> {
    await this.#pool.query('insert into dataalm.settings (key, value) values ($1, $2) on conflict (key) do nothing', [
      key,
      JSON.stringify(value),
    ]);
    return (await this.get<T>(key)) as T;
  }

  async delete(key: string): Promise<void> {
    await this.#pool.query('delete from dataalm.settings where key = $1', [key]);
  }
}
