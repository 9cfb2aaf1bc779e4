import type pg from 'pg';

/** The worker processes of a project, each noting when it was last seen. */
export class WorkerStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async register(id: string, host: string, pid: number, concurrency: number): Promise<void> {
    await this.#pool.query(
      `insert into dataalm.workers (id, host, pid, concurrency) values ($1, $2, $3, $4)
       on conflict (id) do update set started_at = now(), seen_at = now(), concurrency = excluded.concurrency`,
      [id, host, pid, concurrency],
    );
  }

  async seen(id: string): Promise<void> {
    await this.#pool.query('update dataalm.workers set seen_at = now() where id = $1', [id]);
  }

  async remove(id: string): Promise<void> {
    await this.#pool.query('delete from dataalm.workers where id = $1', [id]);
  }

  /** Workers seen within the last `seconds`. */
  async live(seconds: number): Promise<number> {
    const result = await this.#pool.query<{ n: string }>(
      'select count(*) as n from dataalm.workers where seen_at > now() - make_interval(secs => $1)',
      [seconds],
    );
    return Number(result.rows[0]!.n);
  }
}
