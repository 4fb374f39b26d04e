// Package sysvinit is the sysvinit backend: self-contained bash init scripts
// with an LSB header, start and kill links ordered by dependencies, and a
// deployer that runs the scripts of one runlevel.
package sysvinit
