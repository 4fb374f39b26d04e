# The programs of the proxy example, for nix-build:
#   nix-build examples/proxy -A helloWorldClient --option substituters ''
{
  helloWorldServer = import ./go-program.nix "hello-world-server";
  helloWorldClient = import ./go-program.nix "hello-world-client";
  tcpProxy = import ./go-program.nix "tcp-proxy";
}
