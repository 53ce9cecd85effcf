import ProjectStatus from './project-status';

// A server component: it renders the shell; the live part is a client component.
export default function Page() {
  return (
    <main>
      <h1>Project demo</h1>
      <ProjectStatus project="demo" />
    </main>
  );
}
