# tests/sandbox/sandbox.mk - build fragment (see Makefile.am); owned by the sandbox area
