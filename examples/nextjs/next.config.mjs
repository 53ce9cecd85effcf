const nextConfig = {
  // The client is a workspace package of plain ES modules.
  transpilePackages: ['@nanokit/client'],
};
export default nextConfig;
