# The hello world server. With socketActivation it exits when its last
# client leaves and a systemd socket unit (ListenStream = port) is written
# next to its service, as the original example's postInstall does: systemd
# listens and starts the server on the first connection.
{ createManagedProcess, server }:
{ port
, greeting ? "Hello world!"
, instanceName ? "hello-world-server"
, socketActivation ? false
}:

createManagedProcess {
  inherit instanceName;
  description = "Hello world server";
  foregroundProcess = "${server}/bin/hello-world-server";
  args = [ "-port" (toString port) "-greeting" greeting ]
    ++ (if socketActivation then [ "-exit-when-idle" ] else []);

  postInstall =
    if socketActivation then ''
      cat > "$out/etc/systemd/system/nix-process-${instanceName}.socket" <<EOF
      [Unit]
      Description=Hello world server socket

      [Socket]
      ListenStream=${toString port}

      [Install]
      WantedBy=sockets.target
      EOF
    '' else null;

  overrides = {
    sysvinit = {
      runlevels = [ 3 4 5 ];
    };
  };
}
