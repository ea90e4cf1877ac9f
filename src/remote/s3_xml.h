// The little XML S3 answers with, read without an XML library: the text of
// named elements (ListObjectsV2's Contents/Key/Size, an error's Code and
// Message, CreateMultipartUpload's UploadId), with XML's entities decoded.
// S3's bodies are flat, machine-written and namespace-free in the parts we
// read, so a search for <Tag>...</Tag> is enough; CDATA and attributes on the
// elements we read are not supported.
//
// Thread safety: free functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace conveyor {

// Decodes &amp; &lt; &gt; &quot; &apos; and numeric references (&#38;
// &#x26;, as UTF-8); anything else is kept as written.
std::string XmlDecode(std::string_view text);

// Escapes & < > " ' for element text.
std::string XmlEscape(std::string_view text);

// The raw (undecoded) inner text of every <tag>...</tag> in `xml`, in order,
// not looking inside the ones found. <tag/> gives an empty string.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);

// The decoded text of the first <tag> in `xml`, if any.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);

// One page of ListObjectsV2.
struct S3ListPage {
  struct Entry {
    std::string key;  // full key, decoded
    uint64_t size = 0;
  };
  std::vector<Entry> entries;
  bool truncated = false;
  std::string next_token;  // NextContinuationToken, decoded
};

// Parses a ListBucketResult body; nullopt when it is not one (no
// ListBucketResult element, or a Size that is not a number).
std::optional<S3ListPage> ParseListObjectsV2(std::string_view xml);

}  // namespace conveyor
