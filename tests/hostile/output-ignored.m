output /nonexistent/hostile/x.img
data "x"
