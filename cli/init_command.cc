#include <iostream>

#include "cli/commands.h"
#include "common/flags.h"
#include "common/token.h"

namespace nanokit::cli {

int RunInit(int argc, char** argv) {
  std::string token_file = kDefaultTokenFile;
  bool force = false;
  FlagSet flags("nanokit init", "[flags]");
  flags.String("token-file", &token_file, "Where to write the token.");
  flags.Bool("force", &force, "Replace an existing token (every connected client must then use the new one).");
  flags.ParseOrExit(argc, argv, 2);

  auto token = GenerateToken();
  if (!token.ok()) {
    std::cerr << "nanokit init: " << token.status().message() << std::endl;
    return 1;
  }
  if (auto status = WriteTokenFile(token_file, *token, force); !status.ok()) {
    std::cerr << "nanokit init: " << status.message() << std::endl;
    return 1;
  }
  std::cout << "wrote a new token to " << token_file << " (mode 0600)" << std::endl;
  return 0;
}

}  // namespace nanokit::cli
