'use client';

// The live state of one project through @nanokit/client's React hooks.
// The gateway's address comes from NEXT_PUBLIC_NANOKIT_GATEWAY (default
// ws://127.0.0.1:7701/ws); the token from this page's URL fragment
// (#token=...), which the browser never sends to a server. Run the gateway
// with --allowed-origin http://localhost:3000 so it accepts this page.

import { useEffect, useState } from 'react';
import type { ResourceView } from '@nanokit/client';
import { useNanokitClient, useNanokitProject } from '@nanokit/client/react';

const GATEWAY = process.env.NEXT_PUBLIC_NANOKIT_GATEWAY ?? 'ws://127.0.0.1:7701/ws';

function Row({ resource }: { resource: ResourceView }) {
  return (
    <tr data-resource={resource.resourceId} data-status={resource.status}>
      <td><strong>{resource.status}</strong></td>
      <td>{resource.resourceId}</td>
      <td>{resource.message}</td>
    </tr>
  );
}

function Live({ project, token }: { project: string; token: string }) {
  const client = useNanokitClient({ url: GATEWAY, token });
  const { project: view, connection } = useNanokitProject(client, project);
  return (
    <section>
      <p>
        {connection.status === 'live' ? 'Live' : `${connection.status}… (attempt ${connection.retries})`}
        {view?.synced && !view.coreConnected ? ' · core disconnected' : ''}
      </p>
      {view?.reconcile && (
        <p>
          Reconcile {view.reconcile.reconcileId}: {view.reconcile.running ? 'running' : view.reconcile.outcome}
        </p>
      )}
      <table>
        <tbody>
          {[...(view?.resources.values() ?? [])].map((r) => <Row key={r.resourceId} resource={r} />)}
        </tbody>
      </table>
    </section>
  );
}

export default function ProjectStatus({ project }: { project: string }) {
  // The fragment exists only in the browser: read it after mount.
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => setToken(new URLSearchParams(window.location.hash.slice(1)).get('token') ?? ''), []);
  if (token === null) return null;
  if (token === '') return <p>Add #token=… (the gateway&apos;s token) to this page&apos;s address.</p>;
  return <Live project={project} token={token} />;
}
