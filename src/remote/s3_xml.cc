#include "remote/s3_xml.h"

#include <charconv>

namespace conveyor {

namespace {

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the entity `name` (between '&' and ';'); false when unknown.
bool DecodeEntity(std::string_view name, std::string& out) {
  if (name == "amp") {
    out += '&';
  } else if (name == "lt") {
    out += '<';
  } else if (name == "gt") {
    out += '>';
  } else if (name == "quot") {
    out += '"';
  } else if (name == "apos") {
    out += '\'';
  } else if (name.size() > 1 && name[0] == '#') {
    int base = 10;
    std::string_view digits = name.substr(1);
    if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
      base = 16;
      digits.remove_prefix(1);
    }
    uint32_t cp = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, base);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        cp > 0x10FFFF) {
      return false;
    }
    AppendUtf8(cp, out);
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string XmlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '&') {
      size_t semi = text.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 12 &&
          DecodeEntity(text.substr(i + 1, semi - i - 1), out)) {
        i = semi + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> found;
  // Appended piece by piece: g++ 12 at -O3 reports a false -Wrestrict for
  // "<" + std::string(tag).
  std::string open(1, '<');
  open += tag;
  std::string close("</");
  close += tag;
  close += '>';
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    size_t after = pos + open.size();
    if (after >= xml.size()) {
      break;
    }
    // "<Key>" or "<Key/>" or "<Key attr=...>", not "<KeyCount>".
    char next = xml[after];
    if (next != '>' && next != '/' && next != ' ' && next != '\t' && next != '\n' && next != '\r') {
      pos = after;
      continue;
    }
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) {
      break;
    }
    if (xml[gt - 1] == '/') {
      found.emplace_back();
      pos = gt + 1;
      continue;
    }
    size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) {
      break;
    }
    found.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return found;
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> found = XmlElements(xml, tag);
  if (found.empty()) {
    return std::nullopt;
  }
  return XmlDecode(found.front());
}

std::optional<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  std::vector<std::string_view> result = XmlElements(xml, "ListBucketResult");
  if (result.empty()) {
    return std::nullopt;
  }
  std::string_view body = result.front();
  S3ListPage page;
  for (std::string_view contents : XmlElements(body, "Contents")) {
    S3ListPage::Entry entry;
    std::optional<std::string> key = XmlText(contents, "Key");
    std::optional<std::string> size = XmlText(contents, "Size");
    if (!key) {
      return std::nullopt;
    }
    entry.key = *key;
    if (size) {
      auto [end, ec] = std::from_chars(size->data(), size->data() + size->size(), entry.size);
      if (ec != std::errc() || end != size->data() + size->size()) {
        return std::nullopt;
      }
    }
    page.entries.push_back(std::move(entry));
  }
  page.truncated = XmlText(body, "IsTruncated").value_or("false") == "true";
  page.next_token = XmlText(body, "NextContinuationToken").value_or("");
  return page;
}

}  // namespace conveyor
