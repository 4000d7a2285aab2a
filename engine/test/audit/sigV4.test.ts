import assert from 'node:assert/strict';
import { amzDate, sha256Hex, signRequest, uriEncode } from '../../src/audit/sigV4.ts';

/**
 * The signatures below are AWS's published ones, not this signer's output: the Signature Version 4
 * test suite (get-vanilla, get-vanilla-query-order-key-case) and the header-authentication examples
 * of the S3 API reference ("Signature Calculations for the Authorization Header", examplebucket).
 */

const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  options: { region: 'us-east-1', service: 'service', at: new Date('2015-08-30T12:36:00Z') },
};

const S3 = {
  credentials: {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  },
  options: { region: 'us-east-1', service: 's3', at: new Date('2013-05-24T00:00:00Z') },
};
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const s3Signed = (method: string, url: string, headers: Record<string, string>, payloadHash = EMPTY) =>
  signRequest(
    { method, url: new URL(url), headers: { ...headers, 'x-amz-content-sha256': payloadHash }, payloadHash },
    S3.credentials,
    S3.options,
  ).authorization;

describe('AWS Signature Version 4 against the published test vectors', () => {
  it('get-vanilla', () => {
    const headers = signRequest(
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, payloadHash: EMPTY },
      SUITE.credentials,
      SUITE.options,
    );
    assert.equal(headers['x-amz-date'], '20150830T123600Z');
    assert.equal(headers.host, 'example.amazonaws.com');
    assert.equal(
      headers.authorization,
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('get-vanilla-query-order-key-case: the query is sorted by name', () => {
    const { authorization } = signRequest(
      {
        method: 'GET',
        url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'),
        headers: {},
        payloadHash: EMPTY,
      },
      SUITE.credentials,
      SUITE.options,
    );
    assert.match(
      authorization,
      / Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500$/,
    );
  });

  it('S3 GET Object with a Range header', () => {
    assert.equal(
      s3Signed('GET', 'https://examplebucket.s3.amazonaws.com/test.txt', { range: 'bytes=0-9' }),
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('S3 PUT Object: the body hashed, the key encoded ($ as %24), extra headers signed', () => {
    const body = sha256Hex('Welcome to Amazon S3.');
    assert.equal(body, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    assert.equal(
      s3Signed(
        'PUT',
        `https://examplebucket.s3.amazonaws.com/${uriEncode('test$file.text', true)}`,
        { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
        body,
      ),
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it('S3 GET Bucket Lifecycle: a query parameter without a value', () => {
    assert.match(
      s3Signed('GET', 'https://examplebucket.s3.amazonaws.com/?lifecycle', {}),
      / Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543$/,
    );
  });

  it('S3 GET Bucket (list objects): parameters sorted', () => {
    assert.match(
      s3Signed('GET', 'https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2', {}),
      / Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7$/,
    );
  });

  it('signs the session token of temporary credentials', () => {
    const headers = signRequest(
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {}, payloadHash: EMPTY },
      { ...SUITE.credentials, sessionToken: 'token/with+chars' },
      SUITE.options,
    );
    assert.equal(headers['x-amz-security-token'], 'token/with+chars');
    assert.match(headers.authorization, /SignedHeaders=host;x-amz-date;x-amz-security-token,/);
  });

  it('encodes keys the S3 way and writes the date compactly', () => {
    assert.equal(uriEncode("a b+c/d!'()*~", true), 'a%20b%2Bc/d%21%27%28%29%2A~');
    assert.equal(uriEncode('a/b'), 'a%2Fb');
    assert.equal(amzDate(new Date('2013-05-24T00:00:00.123Z')), '20130524T000000Z');
  });
});
