import type { ConnectOptions, ConnectionState, NanokitClient, ProjectView } from './index';

export declare function useNanokitProject(
  client: NanokitClient | null,
  project: string,
): { project: ProjectView | undefined; connection: ConnectionState };

/** Null until mounted (so it is safe in server rendering). */
export declare function useNanokitClient(options: ConnectOptions): NanokitClient | null;
