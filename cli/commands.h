#pragma once
// Subcommands of the nanokit CLI. Each returns the process exit code.

namespace nanokit::cli {

int RunInit(int argc, char** argv);
int RunEmit(int argc, char** argv);
int RunDemo(int argc, char** argv);
int RunPublish(int argc, char** argv);
int RunSnapshot(int argc, char** argv);
int RunToken(int argc, char** argv);
int RunUp(int argc, char** argv);

}  // namespace nanokit::cli
