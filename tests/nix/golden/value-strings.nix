{
  allEscapes = "\\ \" \${ \n \t \r";
  backslash = "C:\\Windows\\";
  carriageReturn = "a\r\nb";
  controlChars = "bell esc del";
  dollarBrace = "\${not.interpolated}";
  dollarDollarBrace = "$\${x}";
  indentedLines = "  a\n  b\n";
  lineSeparator = "a b";
  loneDollar = "cost: $5 $";
  newlineOnly = "\n";
  quote = "say \"hi\"";
  tab = "a\tb";
  twoSingleQuotes = "it''s";
  unicode = "é 中文 😀 é";
}
