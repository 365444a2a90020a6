// The executables import only CSDCLI: argument parsing and logging come with it, so no other
// module of the project needs (or gets) ArgumentParser or a logging bootstrap.
@_exported import ArgumentParser
@_exported import Logging
