import type { ConnectOptions, ConnectionState, NanokitClient, ProjectSummaryView, ProjectView } from './index';

export declare function useNanokitProject(
  client: NanokitClient | null,
  project: string,
): { project: ProjectView | undefined; connection: ConnectionState };

/** Null until mounted (so it is safe in server rendering). */
export declare function useNanokitClient(options: ConnectOptions): NanokitClient | null;

/** The projects the client's token may see, sorted by name; null until the gateway lists them. */
export declare function useNanokitProjectList(
  client: NanokitClient | null,
): { projects: readonly ProjectSummaryView[] | null; connection: ConnectionState };
