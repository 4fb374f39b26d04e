// Package imagebuild writes container images as docker-archive tarballs (the
// format of `docker save`, read by `docker load`, `podman load` and skopeo's
// docker-archive: transport) without a container engine or a base image.
//
// An image is a list of layers and a config. A layer is a Tree: an in-memory
// description of files, directories, symbolic links and FIFOs, whose content
// comes from bytes given by the caller or from files of the host read when the
// layer is written. Helpers fill trees with:
//
//   - the closure of Nix store paths (nix-store --query --requisites), one
//     layer per store path so that images sharing a path share its layer
//     (StoreLayers);
//   - host programs that are not in the Nix store, with the shared libraries
//     ldd names, the dynamic loader and script interpreters, and the symbolic
//     links on the way to them (Tree.AddHostProgram, Tree.AddHostPath; a
//     shared library brings the libraries it needs; Tree.AddHostProgramAt
//     puts the program itself elsewhere);
//   - a directory a tool made on the host, put elsewhere in the image
//     (Tree.AddHostTree; FIFOs and modes are kept);
//   - account files (/etc/passwd, /etc/group, ...; AddAccounts).
//
// Output is deterministic: the same inputs give a byte-identical tarball.
// Entries are sorted (a directory before what it holds), every entry has
// mtime 1970-01-01T00:00:01Z, uid and gid 0 unless set otherwise, no user or
// group names, no access or change times; hard links are written as separate
// files. The archive holds manifest.json, the config (<sha256>.json, named by
// its digest) and each layer once as <diff_id>/layer.tar, uncompressed.
//
// imagebuild imports only the standard library and agnostic (for the Nix
// options). The docker backend and multi-process images use it.
package imagebuild
