# templates/templates.mk - build fragment (see Makefile.am); owned by the templates area
