// Keeping secrets out of what conveyor prints: messages, logs, reports and
// --json output. Two tools, for the two ways a secret reaches a message:
//   - inside a URL, as the password of its userinfo
//     ("ssh://alice:pw@host/srv", "postgresql://u:pw@db/registry"): every
//     URL that may have come from the user goes through RedactUrlPasswords
//     before it is printed;
//   - as a value the code holds (a storage key, a token) that a server or a
//     library may echo in its own text: such text goes through
//     RedactSecrets with the values it must not contain.
// Both write kRedacted in the secret's place, so the reader sees that
// something was there. User names, hosts and paths stay, since messages
// need them.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace conveyor {

// What a secret is replaced with.
inline constexpr std::string_view kRedacted = "***";

// `text` with the password of every URL's userinfo replaced by kRedacted:
// "sftp://alice:pw@host:22/srv" becomes "sftp://alice:***@host:22/srv".
// `text` may be one URL or a message quoting several. A URL is found by its
// "scheme://" and ends at a blank, a quote or a line end; the password is
// what follows the first ':' of the userinfo, which ends at the last '@' of
// the authority ("u:p@ss@host"). RFC 3986 wants a '/' in a password
// percent-encoded, but AWS secret keys hold raw ones: when the authority has
// no '@' and its ':' is not followed by a port, the userinfo runs to the
// last '@' before any '?' ("s3://KEY:ab/cd@bucket"). Text without such a
// URL is returned unchanged.
std::string RedactUrlPasswords(std::string_view text);

// In `rest`, the text of a URL after its "://": the position of the '@' that
// ends its userinfo, or npos when it has none. RedactUrlPasswords and the
// remote URL parser (remote/remote_options.h) both use this rule, so what is
// read as a password is what is masked. The userinfo ends at the last '@' of
// the authority as RFC 3986 delimits it (up to the first '/', '?' or '#');
// with no '@' there, a password holding a raw '/', '?' or '#'
// ("u:ab/cd@host") is still found: unless the ':' is followed by a port or
// the host is an IPv6 literal, the userinfo runs to the last '@' of `rest`.
size_t UrlUserinfoEnd(std::string_view rest);

// `text` with every occurrence of each non-empty value in `secrets`
// replaced by kRedacted. Longer secrets are replaced first, so one that
// contains another is not left half visible.
std::string RedactSecrets(std::string text, std::vector<std::string> secrets);

// What an error about an unreadable config line (.dvc/config,
// .dvc/config.local) may quote of it. Values may be secrets, so only a
// leading word that looks like an option name (lower-case letters, digits,
// '_', '-', '.'; at most 40) is kept, with " ..." when more follows:
// "oops" stays "oops", "secret_access_key: abc" becomes
// "secret_access_key ...", and a line starting otherwise (a pasted key) gives
// "".
std::string ConfigLineForMessage(std::string_view line);

}  // namespace conveyor
