// React bindings: hooks for client components (e.g. in a Next.js app's
// "use client" file). A component re-renders only when the project it reads
// gets a new view (once per frame at most), never per message.

import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { ConnectionStatus, connect } from './index.js';

const NOT_CONNECTED = Object.freeze({
  status: ConnectionStatus.CONNECTING, retries: 0, hubConnected: null, lastError: null, closeCode: 0,
});

/**
 * The live view of `project` (undefined until subscribed) and the
 * connection state. Subscribes `client` to the project while mounted.
 * `client` may be null (not yet created), e.g. from useNanokitClient.
 */
export function useNanokitProject(client, project) {
  const subscribe = useCallback((onStoreChange) => (client ? client.onChange(onStoreChange) : () => {}), [client]);
  useEffect(() => {
    if (!client) return undefined;
    const had = client.projects().includes(project);
    if (!had) client.subscribe(project);
    return () => {
      if (!had) client.unsubscribe(project);
    };
  }, [client, project]);
  const view = useSyncExternalStore(subscribe, () => client?.project(project), () => undefined);
  const connection = useSyncExternalStore(subscribe, () => client?.connection ?? NOT_CONNECTED, () => NOT_CONNECTED);
  return { project: view, connection };
}

const NO_LIST = null;

/**
 * The projects `client`'s token may see (sorted summaries, live; null until
 * the gateway lists them) and the connection state. Follows the list while
 * mounted. A component re-renders when the list changes, not per event.
 */
export function useNanokitProjectList(client) {
  const subscribe = useCallback((onStoreChange) => (client ? client.onChange(onStoreChange) : () => {}), [client]);
  useEffect(() => {
    if (client) client.watchProjects();
  }, [client]);
  const list = useSyncExternalStore(subscribe, () => client?.projectList() ?? NO_LIST, () => NO_LIST);
  const connection = useSyncExternalStore(subscribe, () => client?.connection ?? NOT_CONNECTED, () => NOT_CONNECTED);
  return { projects: list, connection };
}

/**
 * A client owned by the calling component: connected after mount (so never
 * during server rendering), closed on unmount; a changed url or token
 * reconnects. Null before the first effect runs.
 */
export function useNanokitClient(options) {
  const { url, token } = options;
  const [client, setClient] = useState(null);
  useEffect(() => {
    const c = connect({ ...options, projects: options.projects ?? [] });
    setClient(c);
    return () => c.close();
    // The other options are read once per connection on purpose.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [url, token]);
  return client;
}
