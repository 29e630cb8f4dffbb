"""gunicorn's settings for 营商通办; gunicorn reads this file from the directory it is started in.

gunicorn answers a request line longer than its limit (4094 bytes by default) with a bare HTML page
before the app sees it. The app refuses long URLs itself, with a clear 414 in Chinese (JSON under
/api, the error page elsewhere; see web.input_guard.MAX_URL_BYTES), so gunicorn's limit is lifted
here. gunicorn then reads a request line whole, for as long as the worker's timeout allows: in
production a proxy in front bounds it as well (nginx: large_client_header_buffers).
"""

limit_request_line = 0  # no limit in gunicorn: the app answers URLs over 4 KB with 414
