data "abc\
