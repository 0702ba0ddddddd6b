data "abc
