<?php
// A profile service that takes XML: POST a <profile> document, get a
// greeting back. Deliberately vulnerable to XXE: the parser substitutes
// external entities (LIBXML_NOENT) and loads external DTDs.
header('Content-Type: text/plain');
if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    http_response_code(405);
    echo "POST an XML profile\n";
    exit;
}
$xml = file_get_contents('php://input');
$dom = new DOMDocument();
libxml_use_internal_errors(true);
if (!$dom->loadXML($xml, LIBXML_NOENT | LIBXML_DTDLOAD)) {
    http_response_code(400);
    foreach (libxml_get_errors() as $e) {
        echo 'error: ', trim($e->message), "\n";
    }
    exit;
}
$name = $dom->getElementsByTagName('name')->item(0);
$city = $dom->getElementsByTagName('city')->item(0);
echo 'Saved profile of ', $name ? $name->textContent : '(no name)';
echo ' from ', $city ? $city->textContent : '(no city)', "\n";
