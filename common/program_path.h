#pragma once

#include <string>

namespace nanokit {

// The running program's own file (/proc/self/exe); empty if unreadable.
std::string ThisProgram();

// Another of our programs, for one that starts it (`nanokit up`, the bench):
// the one beside this program (an installed bin/), else the one in its build
// tree (<build>/<build_folder>/<name>, this program being in another of the
// build's folders), else the first on PATH. Empty if there is none.
std::string FindProgram(const std::string& name, const std::string& build_folder);

}  // namespace nanokit
