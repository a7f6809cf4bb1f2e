<?php
/**
 * The PHP side of PhpClientIT: makes one call of Pushgate.php and prints what came of it, so the
 * Java test can check the call's effect on real WebSocket sessions.
 *
 * stdin:  {"url":"http://…","apiKey":"…","class":"Gateway","method":"sendToUid","args":[…]}
 *         (JSON objects among the args arrive as PHP associative arrays)
 * stdout: {"result":<what the method returned>}
 *      or {"exception":{"class":…,"status":…,"type":…,"slug":…,"outcomeUnknown":…,"message":…}}
 */

require __DIR__ . '/../Pushgate.php';

$input = json_decode(stream_get_contents(STDIN), true);
if (!is_array($input) || !isset($input['class'], $input['method'])) {
    fwrite(STDERR, "expected {\"class\":…,\"method\":…,\"args\":[…]} on stdin\n");
    exit(2);
}
if (isset($input['url'])) {
    Pushgate\Gateway::$url = $input['url'];
}
if (isset($input['apiKey'])) {
    Pushgate\Gateway::$apiKey = $input['apiKey'];
}
if (isset($input['timeout'])) {
    Pushgate\Gateway::$timeout = $input['timeout'];
}
$callable = ['Pushgate\\' . $input['class'], $input['method']];
if (!is_callable($callable)) {
    fwrite(STDERR, "no such method: {$input['class']}::{$input['method']}\n");
    exit(2);
}
try {
    $out = ['result' => call_user_func_array($callable, isset($input['args']) ? $input['args'] : [])];
} catch (Pushgate\Exception $e) {
    $out = ['exception' => [
        'class' => get_class($e),
        'status' => $e->getStatus(),
        'type' => $e->getType(),
        'slug' => $e->getSlug(),
        'detail' => $e->getDetail(),
        'outcomeUnknown' => $e->isOutcomeUnknown(),
        'message' => $e->getMessage(),
    ]];
} catch (Exception $e) {
    $out = ['exception' => ['class' => get_class($e), 'message' => $e->getMessage()]];
}
echo json_encode($out, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION), "\n";
