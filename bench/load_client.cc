#include "bench/load_client.h"

#include <algorithm>
#include <netinet/in.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nanokit::bench {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr size_t kReadSize = 16 * 1024;
}  // namespace

void LoadClient::Connect(const tcp::endpoint& endpoint, std::string host, std::string path, std::string extra_headers,
                         const net::ip::address& local) {
  mask_state_ = static_cast<uint32_t>(id_ * 2654435761u + 1);
  in_.resize(kReadSize);
  if (!local.is_unspecified()) {
    // A port per (source, destination) pair rather than per source: more
    // than the ~28,000 ephemeral ports to one server from one address.
    boost::system::error_code ec;
    socket_.open(endpoint.protocol(), ec);
    using BindNoPort = net::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
    if (!ec) socket_.set_option(BindNoPort(true), ec);
    if (!ec) socket_.bind(tcp::endpoint(local, 0), ec);
    if (ec) {
      net::post(socket_.get_executor(), [self = shared_from_this()] { self->Fail(0); });
      return;
    }
  }
  socket_.async_connect(endpoint, [self = shared_from_this(), host = std::move(host), path = std::move(path),
                                   headers = std::move(extra_headers)](boost::system::error_code ec) {
    if (ec) return self->Fail(0);
    boost::system::error_code ignored;
    self->socket_.set_option(tcp::no_delay(true), ignored);
    // The key is fixed: the accept value is not checked, this is a load tool.
    self->out_ = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host,
                              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
                              headers, "\r\n");
    self->Write();
    self->Read();
  });
}

void LoadClient::Send(std::string_view text) { SendFrame(0x1, text); }

void LoadClient::Close() {
  done_ = true;
  open_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void LoadClient::Fail(uint16_t close_code) {
  if (done_) return;
  done_ = true;
  open_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
  if (callbacks_->on_closed) callbacks_->on_closed(*this, close_code);
}

void LoadClient::Read() {
  if (in_.size() - in_size_ < kReadSize / 2) in_.resize(std::max(in_.size() * 2, in_size_ + kReadSize));
  socket_.async_read_some(net::buffer(in_.data() + in_size_, in_.size() - in_size_),
                          [self = shared_from_this()](boost::system::error_code ec, size_t bytes) {
                            if (self->done_) return;
                            if (ec) return self->Fail(0);
                            self->OnData(bytes);
                          });
}

void LoadClient::OnData(size_t bytes) {
  in_size_ += bytes;
  if (!upgraded_) {
    const std::string_view head(in_.data(), in_size_);
    const size_t end = head.find("\r\n\r\n");
    if (end == std::string_view::npos) return Read();
    if (head.rfind("HTTP/1.1 101", 0) != 0) return Fail(0);
    upgraded_ = true;
    open_ = true;
    std::memmove(in_.data(), in_.data() + end + 4, in_size_ - end - 4);
    in_size_ -= end + 4;
    if (callbacks_->on_open) callbacks_->on_open(*this);
    if (done_) return;
  }
  if (!ParseFrames()) return;
  Read();
}

bool LoadClient::ParseFrames() {
  size_t at = 0;
  while (in_size_ - at >= 2) {
    const auto* p = reinterpret_cast<const uint8_t*>(in_.data() + at);
    const size_t available = in_size_ - at;
    const uint8_t opcode = p[0] & 0x0f;
    const bool masked = (p[1] & 0x80) != 0;
    uint64_t length = p[1] & 0x7f;
    size_t header = 2;
    if (length == 126) {
      if (available < 4) break;
      length = (uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (available < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
      header = 10;
    }
    if (masked) header += 4;
    if (available < header + length) break;
    char* payload = in_.data() + at + header;
    if (masked) {
      for (uint64_t i = 0; i < length; ++i) payload[i] = static_cast<char>(payload[i] ^ p[header - 4 + (i & 3)]);
    }
    const std::string_view message(payload, length);
    at += header + length;
    switch (opcode) {
      case 0x0:
      case 0x1:
      case 0x2:
        if (callbacks_->on_message) callbacks_->on_message(*this, message);
        if (done_) return false;
        break;
      case 0x8: {
        const uint16_t code =
            length >= 2 ? static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1])) : 1005;
        Fail(code);
        return false;
      }
      case 0x9:
        SendFrame(0xA, message);
        break;
      default:
        break;
    }
  }
  if (at > 0) {
    std::memmove(in_.data(), in_.data() + at, in_size_ - at);
    in_size_ -= at;
  }
  return true;
}

void LoadClient::SendFrame(uint8_t opcode, std::string_view payload) {
  if (done_) return;
  out_.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    out_.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() < 65536) {
    out_.push_back(static_cast<char>(0x80 | 126));
    out_.push_back(static_cast<char>(payload.size() >> 8));
    out_.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    out_.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>((uint64_t{payload.size()} >> (8 * i)) & 0xff));
  }
  mask_state_ ^= mask_state_ << 13;
  mask_state_ ^= mask_state_ >> 17;
  mask_state_ ^= mask_state_ << 5;
  char mask[4];
  std::memcpy(mask, &mask_state_, 4);
  out_.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) out_.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  Write();
}

void LoadClient::Write() {
  if (writing_ || out_.empty() || !socket_.is_open()) return;
  writing_ = true;
  out_writing_.swap(out_);
  out_.clear();
  net::async_write(socket_, net::buffer(out_writing_),
                   [self = shared_from_this()](boost::system::error_code ec, size_t) {
                     self->writing_ = false;
                     self->out_writing_.clear();
                     if (ec) return self->Fail(0);
                     self->Write();
                   });
}

}  // namespace nanokit::bench
