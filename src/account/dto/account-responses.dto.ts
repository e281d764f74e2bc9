import { ApiProperty } from '@nestjs/swagger';

/** The answer to a request whose outcome arrives by mail. */
export class AcceptedResponseDto {
  @ApiProperty({
    example: 'If an active account uses this address, a link to reset its password is on its way.',
  })
  message: string;
}
