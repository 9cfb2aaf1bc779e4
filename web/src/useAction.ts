import { useCallback, useState } from 'react';
import { ApiError } from './api/client';

/**
 * Runs a change against the API, keeps its error to show, and reloads what the page shows
 * afterwards, whether the change worked or not.
 */
export function useAction(reload: () => void): { readonly error: ApiError | undefined; readonly act: (change: () => Promise<unknown>) => Promise<void> } {
  const [error, setError] = useState<ApiError>();
  const act = useCallback(
    async (change: () => Promise<unknown>) => {
      setError(undefined);
      try {
        await change();
      } catch (reason) {
        if (reason instanceof ApiError) setError(reason);
      }
      reload();
    },
    [reload],
  );
  return { error, act };
}
