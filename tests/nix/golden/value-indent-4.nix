    {
      a = [
        1
        {
          b = ''
            multi
            line
          '';
        }
      ];
      c = { };
    }
