<?php
/**
 * pushgate's PHP client: one file, PHP 7.4 or later with ext-curl, no Composer dependency.
 *
 *   require __DIR__ . '/Pushgate.php';
 *   use Pushgate\Gateway;                  // instead of: use GatewayClient\Gateway;
 *   Gateway::$url = 'http://127.0.0.1:8080';
 *   Gateway::$apiKey = getenv('PUSHGATE_API_KEY');
 *   Gateway::sendToUid('42', ['text' => 'hello']);
 *
 * Gateway:  GatewayWorker's GatewayClient operations on pushgate's backend API (/api/v1).
 * Token:    signs the HS256 tokens browsers and apps connect with.
 * Events:   verifies and reads the backend events pushgate POSTs to pushgate.events.url.
 * Exception: what a refused or failed call throws.
 *
 * Guide: docs/clients/php.md in the pushgate source.
 */

namespace Pushgate;

/**
 * A call the server refused (its application/problem+json answer) or that got no answer.
 */
class Exception extends \RuntimeException
{
    /** The type of a call that got no answer (connection refused, timeout): status 0. */
    const CONNECTION_FAILED = 'urn:pushgate:client:connection-failed';
    /** The type of a 2xx answer that is not the JSON expected. */
    const MALFORMED_ANSWER = 'urn:pushgate:client:malformed-answer';

    /** @var int */
    private $status;
    /** @var string */
    private $type;
    /** @var string */
    private $detail;
    /** @var bool */
    private $outcomeUnknown;

    public function __construct($status, $type, $detail, $outcomeUnknown = false, ?\Throwable $previous = null)
    {
        parent::__construct('pushgate: ' . ($status > 0 ? 'HTTP ' . $status . ' ' : '') . $type . ': ' . $detail, $status, $previous);
        $this->status = $status;
        $this->type = $type;
        $this->detail = $detail;
        $this->outcomeUnknown = $outcomeUnknown;
    }

    /** The HTTP status, or 0 when the server could not be reached. */
    public function getStatus()
    {
        return $this->status;
    }

    /** The problem's type, 'urn:pushgate:problem:<slug>', or one of this class's constants. */
    public function getType()
    {
        return $this->type;
    }

    /** The last part of the type: 'client-not-found', 'invalid-api-key', 'connection-failed'… */
    public function getSlug()
    {
        $colon = strrpos($this->type, ':');
        return $colon === false ? $this->type : substr($this->type, $colon + 1);
    }

    /** What was wrong, in words (the problem's detail). */
    public function getDetail()
    {
        return $this->detail;
    }

    /**
     * True when a publish may or may not have been delivered: a 503 whose problem says
     * "outcome":"unknown", or a timeout after the request was sent. Retry it with the same
     * idempotency key.
     */
    public function isOutcomeUnknown()
    {
        return $this->outcomeUnknown;
    }
}

/**
 * GatewayClient's operations under their names and argument orders, on pushgate's HTTP API.
 *
 * Messages: GatewayClient sends $message as it is; pushgate sends a message with an event and
 * JSON data. $message becomes the data (a string is sent as a JSON string, an array as a JSON
 * object or array, numbers, booleans and null as themselves); the event is "message" unless the
 * last, optional argument names one, as the Java client's sendToUid(uid, event, data) does.
 * GatewayClient's trailing $raw flag (a boolean) is accepted in that place and ignored.
 *
 * The send* methods and publish return the server's answer as an array:
 * ['id' => …, 'sessions' => <sessions reached now>, 'online' => [uids], 'offline' => [uids]]
 * (plus 'duplicate' => true for a repeated idempotency key).
 */
class Gateway
{
    /** @var string the server's base address, e.g. 'http://127.0.0.1:8080' */
    public static $url = 'http://127.0.0.1:8080';
    /** @var string|null one of the server's pushgate.api.keys, sent as 'Authorization: Bearer <key>' */
    public static $apiKey = null;
    /** @var float seconds a call may take, connecting included */
    public static $timeout = 10.0;
    /** @var float seconds to connect */
    public static $connectTimeout = 5.0;

    /** @var resource|\CurlHandle|null one handle per process: its connection is kept alive between calls */
    private static $curl = null;

    // ---- publish -------------------------------------------------------------------------------

    /** Every session of the uid (every tab and device), cluster-wide. */
    public static function sendToUid($uid, $message, $event = null)
    {
        return self::publish(self::message(['uids' => self::names($uid)], $message, $event));
    }

    /**
     * Every member of the group (or of each group of an array), except $exclude_client_id (one
     * client id or an array of them).
     */
    public static function sendToGroup($group, $message, $exclude_client_id = null, $event = null)
    {
        return self::publish(self::message(['groups' => self::names($group)], $message, $event, $exclude_client_id));
    }

    /**
     * Every connected session; or, with $client_id_array, those connections only. Except
     * $exclude_client_id (one client id or an array of them).
     */
    public static function sendToAll($message, $client_id_array = null, $exclude_client_id = null, $event = null)
    {
        if ($client_id_array === null) {
            $to = ['all' => true];
        } else {
            $clients = self::names($client_id_array);
            if (!$clients) {
                return ['id' => null, 'sessions' => 0, 'online' => [], 'offline' => []]; // nobody to send to
            }
            $to = ['clients' => $clients];
        }
        return self::publish(self::message($to, $message, $event, $exclude_client_id));
    }

    /** One connection (a client id from the WebSocket's welcome frame, or an array of them). */
    public static function sendToClient($client_id, $message, $event = null)
    {
        return self::publish(self::message(['clients' => self::names($client_id)], $message, $event));
    }

    /**
     * POST /api/v1/messages with the whole body:
     * ['to' => ['uids' => […], 'groups' => […], 'clients' => […], 'all' => false], 'event' => 'new_msg',
     *  'data' => …, 'ttl' => 0, 'exclude' => ['clients' => […]]].
     *
     * @param string|null $idempotencyKey sent as the Idempotency-Key header: a repeat within the
     *                                    server's window is delivered once and answered 'duplicate' => true
     */
    public static function publish(array $message, $idempotencyKey = null)
    {
        $headers = $idempotencyKey === null ? [] : ['Idempotency-Key: ' . $idempotencyKey];
        return self::object(self::call('POST', 'messages', self::json($message), $headers, true));
    }

    /**
     * POST /api/v1/messages:batch: an array of publish bodies (each may hold 'idempotencyKey'),
     * validated whole (one bad item publishes nothing), answered item by item in order.
     */
    public static function publishBatch(array $messages)
    {
        $answer = self::call('POST', 'messages:batch', self::json(array_values($messages)), [], true);
        if (!is_array($answer)) {
            throw new Exception(200, Exception::MALFORMED_ANSWER, 'expected a JSON array');
        }
        return $answer;
    }

    // ---- presence ------------------------------------------------------------------------------

    /** 1 when the uid has a session anywhere in the cluster, else 0 (ints, as GatewayClient answers). */
    public static function isUidOnline($uid)
    {
        $answer = self::object(self::call('GET', 'uids/' . self::segment($uid)));
        return empty($answer['online']) ? 0 : 1;
    }

    /** The uid's connections (client ids), an empty array when it is offline. */
    public static function getClientIdByUid($uid)
    {
        $answer = self::object(self::call('GET', 'uids/' . self::segment($uid)));
        return isset($answer['clientIds']) && is_array($answer['clientIds']) ? $answer['clientIds'] : [];
    }

    /** How many distinct uids are online, cluster-wide. */
    public static function getAllUidCount()
    {
        $answer = self::object(self::call('GET', 'uids?online&limit=1'));
        return isset($answer['count']) ? (int) $answer['count'] : 0;
    }

    // ---- groups and connections --------------------------------------------------------------

    /** The connection joins the group; throws client-not-found (404) when it is not connected. */
    public static function joinGroup($client_id, $group)
    {
        self::call('PUT', 'groups/' . self::segment($group) . '/clients/' . self::segment($client_id));
        return true;
    }

    /** The connection leaves the group; throws client-not-found (404) when it is not connected. */
    public static function leaveGroup($client_id, $group)
    {
        self::call('DELETE', 'groups/' . self::segment($group) . '/clients/' . self::segment($client_id));
        return true;
    }

    /**
     * Closes the connection (WebSocket close code 4403); with $message, sends it that message first.
     *
     * @return bool false when no such connection was open
     */
    public static function closeClient($client_id, $message = null)
    {
        try {
            if ($message !== null) {
                self::sendToClient($client_id, $message);
            }
            self::call('DELETE', 'clients/' . self::segment($client_id));
            return true;
        } catch (Exception $e) {
            if ($e->getStatus() === 404 && $e->getSlug() === 'client-not-found') {
                return false;
            }
            throw $e;
        }
    }

    // ---- session data ----------------------------------------------------------------------------

    /**
     * Replaces the connection's session data (PUT /api/v1/clients/{id}/data); throws
     * client-not-found (404) when it is not connected, session-data-too-large (413) past the cap.
     */
    public static function setSession($client_id, array $session)
    {
        self::call('PUT', self::dataPath($client_id), self::json((object) $session));
        return true;
    }

    /**
     * Merges into the connection's session data (PATCH): the given keys are set, a key given as
     * null is removed, the others stay.
     */
    public static function updateSession($client_id, array $session)
    {
        self::call('PATCH', self::dataPath($client_id), self::json((object) $session));
        return true;
    }

    /** The connection's session data (an empty array when none was set), or null when it is not connected. */
    public static function getSession($client_id)
    {
        try {
            $answer = self::call('GET', self::dataPath($client_id));
        } catch (Exception $e) {
            if ($e->getStatus() === 404 && $e->getSlug() === 'client-not-found') {
                return null;
            }
            throw $e;
        }
        return self::object($answer);
    }

    // ---- transport -------------------------------------------------------------------------------

    private static function message(array $to, $data, $event, $exclude = null)
    {
        $message = ['to' => $to];
        if ($event !== null && !is_bool($event)) { // a boolean is GatewayClient's $raw: pushgate always sends JSON
            $message['event'] = (string) $event;
        }
        $message['data'] = $data;
        if ($exclude !== null) {
            $excluded = self::names($exclude);
            if ($excluded) {
                $message['exclude'] = ['clients' => $excluded];
            }
        }
        return $message;
    }

    /** One name or an array of them, as a JSON array of strings. */
    private static function names($names)
    {
        $list = [];
        foreach ((array) $names as $name) {
            $list[] = (string) $name;
        }
        return $list;
    }

    private static function segment($name)
    {
        return rawurlencode((string) $name);
    }

    private static function dataPath($client_id)
    {
        return 'clients/' . self::segment($client_id) . '/data';
    }

    /** JSON as the server reads it: strings as strings, arrays as objects or arrays, 1.0 stays 1.0. */
    private static function json($value)
    {
        $json = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
        if ($json === false) {
            throw new \InvalidArgumentException('pushgate: the message cannot be written as JSON: ' . json_last_error_msg());
        }
        return $json;
    }

    private static function object($answer)
    {
        if (!is_array($answer)) {
            throw new Exception(200, Exception::MALFORMED_ANSWER, 'expected a JSON object, got ' . var_export($answer, true));
        }
        return $answer;
    }

    /**
     * One request to /api/v1/$path; the decoded 2xx answer (null for an empty body), else throws.
     */
    private static function call($method, $path, $body = null, array $headers = [], $isPublish = false)
    {
        if (self::$apiKey === null || self::$apiKey === '') {
            throw new \LogicException('pushgate: set Gateway::$apiKey (one of the server\'s pushgate.api.keys)');
        }
        if (self::$curl === null) {
            self::$curl = curl_init();
        } else {
            curl_reset(self::$curl);
        }
        $curl = self::$curl;
        $url = rtrim(self::$url, '/') . '/api/v1/' . $path;
        $headers[] = 'Authorization: Bearer ' . self::$apiKey;
        $headers[] = 'Accept: application/json, application/problem+json';
        $headers[] = 'Expect:'; // no 100-continue round trip for larger bodies
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
        }
        curl_setopt_array($curl, [
            CURLOPT_URL => $url,
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_TIMEOUT_MS => (int) round(self::$timeout * 1000),
            CURLOPT_CONNECTTIMEOUT_MS => (int) round(self::$connectTimeout * 1000),
        ]);
        if ($body !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $body);
        }
        $text = curl_exec($curl);
        if ($text === false) {
            $errno = curl_errno($curl);
            // a refused or unresolved connection sent nothing; after a timeout a publish may have arrived
            $unknown = $isPublish && !in_array($errno, [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST], true);
            throw new Exception(0, Exception::CONNECTION_FAILED, 'no answer from ' . $url . ': ' . curl_error($curl), $unknown);
        }
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        if ($status >= 200 && $status < 300) {
            if (trim($text) === '') {
                return null;
            }
            $answer = json_decode($text, true, 512, JSON_BIGINT_AS_STRING);
            if ($answer === null && json_last_error() !== JSON_ERROR_NONE) {
                throw new Exception($status, Exception::MALFORMED_ANSWER, 'the answer is not JSON: ' . json_last_error_msg());
            }
            return $answer;
        }
        $problem = json_decode($text, true);
        if (is_array($problem) && isset($problem['type']) && is_string($problem['type'])) {
            $detail = isset($problem['detail']) ? $problem['detail'] : (isset($problem['title']) ? $problem['title'] : '');
            $unknown = isset($problem['outcome']) && $problem['outcome'] === 'unknown';
            throw new Exception($status, $problem['type'], (string) $detail, $unknown);
        }
        // not pushgate's problem (a proxy's page, say): reported as it came
        $shown = strlen($text) > 200 ? substr($text, 0, 200) . '…' : $text;
        throw new Exception($status, 'about:blank', trim($shown) === '' ? 'HTTP ' . $status : $shown);
    }
}

/**
 * Signs the HS256 tokens clients connect with (ws://…/ws?token=…), as the server verifies them:
 * header {"alg":"HS256","typ":"JWT"} (plus "kid" when given), claims sub (the uid), iat, exp,
 * groups (joined on connect) and publish (groups it may publish to).
 */
class Token
{
    /** @var string|null the secret sign() uses when it is given none: the server's pushgate.auth.jwt-secret */
    public static $secret = null;

    /**
     * @param string|int  $uid         the uid the connection is bound to
     * @param int         $ttl         seconds the token is valid for
     * @param string[]    $groups      groups the connection joins when it connects
     * @param string[]    $publish     groups it may publish to
     * @param string|null $secret      the server's pushgate.auth.jwt-secret (or, with $kid,
     *                                 pushgate.auth.jwt-keys.<kid>), at least 32 bytes; null: Token::$secret
     * @param string|null $kid         the key id, for a server with rotated keys
     * @param array       $extraClaims more claims, such as 'iss' and 'aud' when the server requires
     *                                 them; they cannot replace the ones above
     */
    public static function sign($uid, $ttl, array $groups = [], array $publish = [], $secret = null, $kid = null, array $extraClaims = [])
    {
        if ($secret === null) {
            $secret = self::$secret;
        }
        if (!is_string($secret) || strlen($secret) < 32) {
            throw new \InvalidArgumentException('pushgate: an HS256 secret must be at least 32 bytes; the server refuses shorter ones');
        }
        $uid = (string) $uid;
        if ($uid === '') {
            throw new \InvalidArgumentException('pushgate: uid is required');
        }
        $header = ['alg' => 'HS256', 'typ' => 'JWT'];
        if ($kid !== null) {
            $header['kid'] = (string) $kid;
        }
        $now = time();
        $claims = $extraClaims;
        $claims['sub'] = $uid;
        $claims['iat'] = $now;
        $claims['exp'] = $now + max(1, (int) $ttl);
        $claims['groups'] = array_map('strval', array_values($groups));
        $claims['publish'] = array_map('strval', array_values($publish));
        $input = self::base64url(self::json($header)) . '.' . self::base64url(self::json($claims));
        return $input . '.' . self::base64url(hash_hmac('sha256', $input, $secret, true));
    }

    /** base64url without padding (RFC 7515), the only spelling the server takes. */
    public static function base64url($bytes)
    {
        return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
    }

    private static function json(array $value)
    {
        $json = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        if ($json === false) {
            throw new \InvalidArgumentException('pushgate: token claims cannot be written as JSON: ' . json_last_error_msg());
        }
        return $json;
    }
}

/**
 * The backend events pushgate POSTs to pushgate.events.url ({"events":[…]}), signed with
 * pushgate.events.secret in the header X-Pushgate-Signature: t=<epoch seconds>,v1=<hex HMAC>.
 */
class Events
{
    /**
     * Whether $body carries a valid signature: one v1 of $header is the HMAC-SHA256 of
     * t + "." + $body with $secret (or with one of an array of secrets), and t is at most
     * $tolerance seconds away from now. Compare in constant time; never throws.
     *
     * @param string          $body   the request body exactly as received (file_get_contents('php://input'))
     * @param string|null     $header the X-Pushgate-Signature header ($_SERVER['HTTP_X_PUSHGATE_SIGNATURE'])
     * @param string|string[] $secret pushgate.events.secret; several while rotating it
     */
    public static function verify($body, $header, $secret, $tolerance = 300)
    {
        if (!is_string($body) || !is_string($header) || $header === '') {
            return false;
        }
        $t = null;
        $signatures = [];
        foreach (explode(',', $header) as $part) {
            $pair = explode('=', trim($part), 2);
            if (count($pair) !== 2) {
                continue;
            }
            if ($pair[0] === 't') {
                $t = $pair[1];
            } elseif ($pair[0] === 'v1') {
                $signatures[] = strtolower($pair[1]);
            }
        }
        if ($t === null || !preg_match('/^[0-9]{1,12}$/', $t) || !$signatures) {
            return false;
        }
        if (abs(time() - (int) $t) > $tolerance) {
            return false;
        }
        $valid = false;
        foreach ((array) $secret as $key) {
            if (!is_string($key) || $key === '') {
                continue;
            }
            $expected = hash_hmac('sha256', $t . '.' . $body, $key);
            foreach ($signatures as $signature) {
                $valid = hash_equals($expected, $signature) || $valid; // every pair compared: no early exit
            }
        }
        return $valid;
    }

    /**
     * The events of a verified body, each an array with 'id', 'type', 'uid', 'clientId', 'node',
     * 'ts'… Throws \UnexpectedValueException when the body is not {"events":[…]}.
     */
    public static function parse($body)
    {
        $decoded = json_decode((string) $body, true, 512, JSON_BIGINT_AS_STRING);
        if (!is_array($decoded) || !isset($decoded['events']) || !is_array($decoded['events'])) {
            throw new \UnexpectedValueException('pushgate: the body is not {"events":[…]}');
        }
        return $decoded['events'];
    }
}
