#include "tests/support/tcp_proxy.h"

#include <array>
#include <chrono>
#include <future>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace nanokit::testing {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// One proxied connection: two sockets, a pump in each direction.
class TcpProxy::Pipe : public std::enable_shared_from_this<Pipe> {
 public:
  Pipe(TcpProxy* proxy, tcp::socket client) : proxy_(proxy), sides_{std::move(client), tcp::socket(proxy->ioc_)} {}

  void Start() {
    auto self = shared_from_this();
    sides_[1].async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), proxy_->target_port_),
                            [self](boost::system::error_code ec) {
                              if (ec) return self->Close();
                              self->Read(0);
                              self->Read(1);
                            });
  }

  void Close() {
    boost::system::error_code ec;
    for (auto& s : sides_) {
      s.set_option(net::socket_base::linger(true, 0), ec);  // a reset, like a broken network
      s.close(ec);
    }
  }

 private:
  void Read(int from) {
    auto self = shared_from_this();
    sides_[from].async_read_some(net::buffer(buffers_[from]), [self, from](boost::system::error_code ec, size_t n) {
      if (ec) return self->Close();
      self->Forward(from, n);
    });
  }

  void Forward(int from, size_t n, bool delayed = false) {
    auto self = shared_from_this();
    if (!delayed && proxy_->delay_.count() > 0) {
      auto timer = std::make_shared<net::steady_timer>(proxy_->ioc_, proxy_->delay_);
      timer->async_wait([self, timer, from, n](boost::system::error_code) { self->Forward(from, n, true); });
      return;
    }
    if (proxy_->stalled_) {
      auto timer = std::make_shared<net::steady_timer>(proxy_->ioc_, std::chrono::milliseconds(10));
      timer->async_wait([self, timer, from, n](boost::system::error_code) { self->Forward(from, n, true); });
      return;
    }
    net::async_write(sides_[1 - from], net::buffer(buffers_[from].data(), n),
                     [self, from](boost::system::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Read(from);
                     });
  }

  TcpProxy* const proxy_;
  std::array<tcp::socket, 2> sides_;
  std::array<std::array<char, 16384>, 2> buffers_;
};

TcpProxy::TcpProxy(uint16_t target_port) : acceptor_(ioc_), target_port_(target_port) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

TcpProxy::~TcpProxy() {
  net::post(ioc_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& weak : pipes_) {
      if (auto pipe = weak.lock()) pipe->Close();
    }
  });
  ioc_.stop();
  thread_.join();
}

void TcpProxy::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;
    auto pipe = std::make_shared<Pipe>(this, std::move(socket));
    pipes_.push_back(pipe);
    pipe->Start();
    Accept();
  });
}

void TcpProxy::DropAll() {
  std::promise<void> done;
  net::post(ioc_, [this, &done] {
    for (auto& weak : pipes_) {
      if (auto pipe = weak.lock()) pipe->Close();
    }
    pipes_.clear();
    done.set_value();
  });
  done.get_future().wait();
}

void TcpProxy::SetStalled(bool stalled) {
  std::promise<void> done;
  net::post(ioc_, [this, stalled, &done] {
    stalled_ = stalled;
    done.set_value();
  });
  done.get_future().wait();
}

void TcpProxy::SetDelay(std::chrono::milliseconds delay) {
  std::promise<void> done;
  net::post(ioc_, [this, delay, &done] {
    delay_ = delay;
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace nanokit::testing
