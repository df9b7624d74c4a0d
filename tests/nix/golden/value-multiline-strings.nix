{
  blankLines = ''
    first

       
    last
  '';
  config = ''
    server {
      listen 80;
      root /var/www;
    }
  '';
  dollarQuote = ''
    x
    ''\'''${y}'';
  nested = {
    list = [
      ''
        one
        two
      ''
      "short"
    ];
  };
  noFinalNewline = ''
    line one
    line two'';
  specials = ''
    a '''quoted''' part
    ''${HOME} and $''${x} and '''''${y}
    ends with a quote''\''';
  tabs = ''
    	indented with a tab
    plain
  '';
  trailingQuote = ''
    x
    ''\''';
}
