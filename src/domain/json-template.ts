/**
 * The reading position and the two token readers the template scanners share: the WebSocket kline
 * frame (binance-kline-scan.ts) and the REST klines page (binance-rest-scan.ts). Each scanner
 * matches one exact JSON layout literal by literal; anything else makes it answer undefined and
 * its caller takes JSON.parse.
 */
export abstract class JsonTemplate {
  protected p = 0;

  /** The literal at the position, consumed; false (position unchanged) when it is not there. */
  protected lit(s: string, literal: string): boolean {
    if (!s.startsWith(literal, this.p)) return false;
    this.p += literal.length;
    return true;
  }

  /**
   * String contents up to (not past) the closing quote; false at a control character (JSON
   * forbids them), an escape (left to JSON.parse) or the end of the text.
   */
  protected str(s: string): boolean {
    let p = this.p;
    for (let ch = s.charCodeAt(p); ch !== 0x22; ch = s.charCodeAt(++p)) {
      if (ch < 0x20 || ch === 0x5c || ch !== ch) return false; // ch !== ch: NaN, end of text
    }
    this.p = p;
    return true;
  }
}
