import { useCallback, useEffect, useState } from 'react';
import { api, type ApiError, asApiError } from './api/client';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

interface Loaded<T> {
  readonly path: string;
  readonly data?: T;
  readonly error?: ApiError;
}

/**
 * GETs `path` (nothing while it is null) and again on reload(). Only the answer for the
 * current path is returned, so a changed path never shows the previous one's data.
 */
export function useResource<T>(path: string | null): Resource<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>();
  const [version, setVersion] = useState(0);

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    api.get<T>(path, controller.signal).then(
      (data) => setLoaded({ path, data }),
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        setLoaded({ path, error: asApiError(reason) });
      },
    );
    return () => controller.abort();
  }, [path, version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const current = loaded?.path === path ? loaded : undefined;
  return { data: current?.data, error: current?.error, loading: path !== null && current === undefined, reload };
}
