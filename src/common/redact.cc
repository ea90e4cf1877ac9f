#include "common/redact.h"

#include <algorithm>
#include <cctype>

namespace conveyor {

namespace {

// Characters that end a URL in a message.
constexpr std::string_view kUrlEnd = " \t\r\n'\"<>`";

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

}  // namespace

size_t UrlUserinfoEnd(std::string_view rest) {
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string_view::npos)
    return at;
  // No '@' in the authority as RFC 3986 delimits it: a password with a raw
  // '/', '?' or '#' (AWS secret keys have '/') ends it early, as in
  // "u:ab/cd@host". Unless what follows the ':' is a port, or the host is an
  // IPv6 literal, the userinfo runs to the last '@'.
  const size_t colon = authority.find(':');
  if (colon == std::string_view::npos || authority.starts_with('['))
    return std::string_view::npos;
  const std::string_view after = authority.substr(colon + 1);
  const bool port = !after.empty() && std::all_of(after.begin(), after.end(),
                                                  [](unsigned char c) { return std::isdigit(c); });
  return port ? std::string_view::npos : rest.rfind('@');
}

std::string RedactUrlPasswords(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;  // text[0, copied) is in `out`
  for (size_t sep = text.find("://"); sep != std::string_view::npos;
       sep = text.find("://", sep + 3)) {
    // A scheme: at least one letter, digit, '+', '-' or '.' before "://".
    if (sep == 0 || !IsSchemeChar(text[sep - 1]))
      continue;
    const size_t begin = sep + 3;
    size_t end = text.find_first_of(kUrlEnd, begin);
    if (end == std::string_view::npos)
      end = text.size();
    const std::string_view url = text.substr(begin, end - begin);
    const size_t at = UrlUserinfoEnd(url);
    if (at == std::string_view::npos)
      continue;
    const size_t colon = url.substr(0, at).find(':');
    if (colon == std::string_view::npos)
      continue;  // a user name only
    const size_t password_begin = begin + colon + 1;
    const size_t password_end = begin + at;
    if (password_begin < copied)
      continue;  // inside a URL already redacted
    out.append(text.substr(copied, password_begin - copied));
    out.append(kRedacted);
    copied = password_end;
  }
  out.append(text.substr(copied));
  return out;
}

std::string RedactSecrets(std::string text, std::vector<std::string> secrets) {
  std::sort(secrets.begin(), secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& secret : secrets) {
    if (secret.empty())
      continue;
    // Each replacement moves past what it wrote, so the loop ends even when
    // kRedacted contains the secret.
    for (size_t at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kRedacted.size())) {
      text.replace(at, secret.size(), kRedacted);
    }
  }
  return text;
}

std::string ConfigLineForMessage(std::string_view line) {
  constexpr size_t kMaxName = 40;
  const size_t end = line.find_first_of(" \t:=");
  const std::string_view word = line.substr(0, end);
  const bool name_like =
      !word.empty() && word.size() <= kMaxName &&
      std::all_of(word.begin(), word.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '_' || c == '-' || c == '.';
      });
  if (!name_like)
    return "";
  return end == std::string_view::npos ? std::string(word) : std::string(word) + " ...";
}

}  // namespace conveyor
